export { storefrontPages } from './pages';
export { Posters } from './poster';
export { publicOrigin } from './public-url';
export { shareCodeRouter } from './qr';
export { storefrontRoutes, type ShopDirectory } from './storefront.routes';
export { WechatJsSdk, jsSdkSignature } from './wechat-js-sdk';
export { campaignSummary, yuan } from './share-card';
