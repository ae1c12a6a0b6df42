export { PaymentService, SEND_REFUND_JOB, type CheckoutChoice, type NotificationOutcome, type PaymentListener } from './payment.service';
export { paymentJobs } from './payment.jobs';
export { paymentRoutes } from './payment.routes';
export { SandboxGateway, SandboxTimeoutError, SANDBOX_SIGNATURE_HEADER, type SandboxRefundFault } from './sandbox-gateway';
export { GatewayEventRow, PaymentCheckoutRow, PaymentRow, RefundRow, type PaymentKind, type PaymentStatus } from './payment.entity';
export { CHECKOUT_KINDS, UNATTENDED_KINDS, checkoutUrlOf, paymentDtos, type PaymentDto } from './payment.schemas';
export type { PaymentGateway } from './gateway';
export { AlipayError, AlipayGateway } from './alipay/alipay-gateway';
export { alipayConfig, type AlipayConfig } from './alipay/alipay.config';
