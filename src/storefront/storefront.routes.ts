import { z } from 'zod';
import { badRequest } from '../platform/http/app-error';
import { publicRoute, type RouteDef } from '../platform/http/routes';
import { publicOrigin } from './public-url';
import { type WechatJsSdk, withoutFragment } from './wechat-js-sdk';

export const JsSdkConfigQuery = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be the absolute http(s) URL of the page, such as https://shop.example.com/c/…' }).max(2048),
});

export function storefrontRoutes(deps: { wechat: WechatJsSdk | undefined; publicBaseUrl: string | undefined }): RouteDef[] {
  return [
    publicRoute({
      method: 'get',
      path: '/v1/wechat/js-sdk-config',
      summary: 'The signed WeChat JS-SDK config for a storefront page, so that a share inside WeChat shows a card',
      query: JsSdkConfigQuery,
      handle: async ({ query, req, res }) => {
        // Signed for one page and one moment: no cache may keep it.
        res.setHeader('Cache-Control', 'no-store');
        if (!deps.wechat) return { enabled: false };
        const origin = publicOrigin(req, deps.publicBaseUrl);
        const page = withoutFragment(query.url);
        // Only our own pages (PUBLIC_BASE_URL, required with WeChat): a signature for another site would let it use our official account's JS-SDK.
        if (new URL(page).origin !== origin)
          throw badRequest('url_not_our_origin', `Only pages of ${origin} are signed; this URL is on ${new URL(page).origin}.`);
        return { enabled: true, ...(await deps.wechat.configFor(page)) };
      },
    }),
  ];
}
