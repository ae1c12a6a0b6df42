export { PaymentService, SEND_REFUND_JOB, type CheckoutChoice, type NotificationOutcome, type PaymentListener } from './payment.service';
export { paymentJobs } from './payment.jobs';
export { paymentRoutes } from './payment.routes';
export { SandboxGateway, SandboxTimeoutError, SANDBOX_SIGNATURE_HEADER, type SandboxRefundFault } from './sandbox-gateway';
export { PaymentReconciliation, type StatementReport } from './reconciliation';
export {
  GatewayEventRow,
  PaymentCheckoutRow,
  PaymentRow,
  RefundRow,
  StatementCheckRow,
  StatementDifferenceRow,
  type PaymentKind,
  type PaymentStatus,
} from './payment.entity';
export { CHECKOUT_KINDS, PaymentDocument, UNATTENDED_KINDS, checkoutUrlOf, paymentDtos, type PaymentDto } from './payment.schemas';
export type { PaymentGateway } from './gateway';
export { AlipayError, AlipayGateway } from './alipay/alipay-gateway';
export { alipayConfig, type AlipayConfig } from './alipay/alipay.config';
export { WechatPayGateway } from './wechat-pay/wechat-pay-gateway';
export { wechatPayConfig, type WechatPayConfig } from './wechat-pay/wechat-pay.config';
export { RefundFigures, type RefundCounts } from './refund-figures';
