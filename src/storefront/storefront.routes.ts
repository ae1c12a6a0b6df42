import { z } from 'zod';
import { badRequest } from '../platform/http/app-error';
import { publicRoute, type RouteDef } from '../platform/http/routes';
import { publicOrigin } from './public-url';
import { type WechatJsSdk, withoutFragment } from './wechat-js-sdk';

export const JsSdkConfigQuery = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be the absolute http(s) URL of the page, such as https://shop.example.com/c/…' }).max(2048),
});

const JsSdkConfig = z
  .union([
    z.object({ enabled: z.literal(false) }),
    z.object({
      enabled: z.literal(true),
      appId: z.string(),
      timestamp: z.int().meta({ description: 'Seconds since 1970' }),
      nonceStr: z.string(),
      signature: z.string().regex(/^[0-9a-f]{40}$/),
    }),
  ])
  .meta({ id: 'WechatJsSdkConfig' });

export function storefrontRoutes(deps: { wechat: WechatJsSdk | undefined; publicBaseUrl: string | undefined }): RouteDef[] {
  return [
    publicRoute({
      method: 'get',
      path: '/v1/wechat/js-sdk-config',
      summary: 'The signed WeChat JS-SDK config for a storefront page, so that a share inside WeChat shows a card',
      query: JsSdkConfigQuery,
      response: JsSdkConfig,
      doc: {
        description:
          "`{ \"enabled\": false }` unless the service has a WeChat official account (WECHAT_APP_ID and WECHAT_APP_SECRET); then the values for `wx.config()`, signed with the account's jsapi_ticket (sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the URL without its `#fragment`). Only pages of the service's own origin (PUBLIC_BASE_URL, else the request's) are signed. Never cached (`Cache-Control: no-store`). `url` is the page's full URL, as `location.href` (a #fragment is ignored).",
        answer: 'The config, or that WeChat share cards are not configured',
        problems: {
          400: '`invalid_query` (no url, or not an absolute http(s) URL); `url_not_our_origin`',
          503: '`wechat_unavailable`: WeChat refused or could not be reached (with Retry-After); the page still shares with its link preview',
        },
      },
      handle: async ({ query, req, res }) => {
        // Signed for one page and one moment: no cache may keep it.
        res.setHeader('Cache-Control', 'no-store');
        if (!deps.wechat) return { enabled: false as const };
        const origin = publicOrigin(req, deps.publicBaseUrl);
        const page = withoutFragment(query.url);
        // Only our own pages (PUBLIC_BASE_URL, required with WeChat): a signature for another site would let it use our official account's JS-SDK.
        if (new URL(page).origin !== origin)
          throw badRequest('url_not_our_origin', `Only pages of ${origin} are signed; this URL is on ${new URL(page).origin}.`);
        return { enabled: true as const, ...(await deps.wechat.configFor(page)) };
      },
    }),
  ];
}
