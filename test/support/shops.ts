import type { TestApp } from './app';
import { aConsumer, type Caller } from './builders';

export const aShopApplication = (overrides: object = {}) => ({
  name: '小芳的果园铺',
  phone: '138 1234 5678',
  wechatId: 'xiaofang_88',
  greeting: '欢迎！',
  ...overrides,
});

/** A consumer (a new one, or `owner`) made a shop owner through the API: applied and approved by `operator`. */
export async function aShopOwner(
  t: TestApp,
  operator: Caller,
  application: object = aShopApplication(),
  owner?: Caller,
): Promise<{ owner: Caller; id: string; code: string }> {
  owner ??= await aConsumer(t);
  const applied = await t.http.post('/v1/shop-applications').set(owner.auth).send(application).expect(201);
  const approved = await t.http.post(`/v1/shop-applications/${applied.body.id}/approve`).set(operator.auth).expect(200);
  return { owner, id: approved.body.id as string, code: approved.body.code as string };
}
