export { storefrontPages } from './pages';
export { Posters } from './poster';
export { publicOrigin } from './public-url';
export { shareCodeRouter } from './qr';
export { storefrontRoutes } from './storefront.routes';
export { WechatJsSdk, jsSdkSignature } from './wechat-js-sdk';
export { campaignSummary, yuan } from './share-card';
