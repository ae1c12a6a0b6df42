/**
 * Operators' actions in words, by method and route template (as the audit log records them): the console shows
 * 发布活动, not POST /v1/campaigns/:id/publish. A route missing here is shown as its method and path; add it when a
 * new operator route is made (docs/operator-console.md § 审计日志).
 */
export const ACTIONS: Record<string, { zh: string; en: string }> = {
  'POST /v1/auth/logout': { zh: '退出登录', en: 'Sign out' },
  'POST /v1/auth/password': { zh: '修改密码', en: 'Change password' },
  'POST /v1/factories': { zh: '创建工厂', en: 'Onboard a factory' },
  'POST /v1/factories/:id/users': { zh: '添加工厂用户', en: 'Add a factory user' },
  'POST /v1/factories/:id/api-keys': { zh: '创建 API 密钥', en: 'Create an API key' },
  'DELETE /v1/factories/:id/api-keys/:keyId': { zh: '吊销 API 密钥', en: 'Revoke an API key' },
  'POST /v1/factories/:id/users/:userId/disable': { zh: '停用工厂用户', en: 'Disable a factory user' },
  'POST /v1/factories/:id/users/:userId/enable': { zh: '启用工厂用户', en: 'Enable a factory user' },
  'POST /v1/factories/:id/webhook/test': { zh: '发送测试推送', en: 'Send a test webhook' },
  'POST /v1/factories/:id/webhook-deliveries/:deliveryId/redeliver': { zh: '重新推送', en: 'Redeliver a webhook' },
  'PUT /v1/factories/:id/payee': { zh: '设置工厂收款账户', en: "Set a factory's payee" },
  'POST /v1/factories/:id/forecast-batches': { zh: '发布预测批次', en: 'Publish a forecast batch' },
  'POST /v1/campaigns': { zh: '创建活动', en: 'Create a campaign' },
  'POST /v1/campaigns/preview': { zh: '预览活动', en: 'Preview a campaign' },
  'PATCH /v1/campaigns/:id': { zh: '编辑活动草稿', en: 'Edit a draft campaign' },
  'POST /v1/campaigns/:id/publish': { zh: '发布活动', en: 'Publish a campaign' },
  'POST /v1/campaigns/:id/close': { zh: '立即截止活动', en: 'Close a campaign now' },
  'POST /v1/campaigns/:id/cancel': { zh: '取消活动', en: 'Cancel a campaign' },
  'PUT /v1/campaigns/:id/commission-rate': { zh: '设置活动佣金比例', en: "Set a campaign's commission rate" },
  'POST /v1/pledges/:id/after-sale-refund': { zh: '售后退款', en: 'After-sale refund' },
  'POST /v1/refunds/:id/retry': { zh: '重试退款', en: 'Retry a refund' },
  'POST /v1/payments/:id/sandbox/complete': { zh: '沙箱：完成付款', en: 'Sandbox: complete a payment' },
  'POST /v1/payments/:id/sandbox/fail': { zh: '沙箱：付款失败', en: 'Sandbox: fail a payment' },
  'POST /v1/sandbox/refund-faults': { zh: '沙箱：设置退款故障', en: 'Sandbox: refund faults' },
  'PATCH /v1/fruits/:id': { zh: '编辑水果资料', en: 'Edit a fruit' },
  'POST /v1/boxes/ship': { zh: '标记盒子已发货', en: 'Mark boxes shipped' },
  'POST /v1/payout-batches': { zh: '生成付款批次', en: 'Make a payout batch' },
  'POST /v1/payout-batches/:id/approve': { zh: '批准付款批次', en: 'Approve a payout batch' },
  'POST /v1/payouts/:id/confirm': { zh: '确认付款到账', en: 'Confirm a payout' },
  'POST /v1/payouts/:id/fail': { zh: '标记付款失败', en: 'Mark a payout failed' },
  'POST /v1/payouts/:id/retry': { zh: '重试付款', en: 'Retry a payout' },
  'POST /v1/commission-holds/:id/release': { zh: '放行暂扣佣金', en: 'Release a commission hold' },
  'POST /v1/commission-holds/:id/void': { zh: '作废暂扣佣金', en: 'Void a commission hold' },
  'POST /v1/shop-applications/:id/approve': { zh: '批准店主申请', en: 'Approve a shop application' },
  'POST /v1/shop-applications/:id/refuse': { zh: '拒绝店主申请', en: 'Refuse a shop application' },
  'PUT /v1/subscription-plans/:id/commission-rate': { zh: '设置订阅佣金比例', en: "Set a plan's commission rate" },
  'POST /v1/concepts': { zh: '创建新品概念', en: 'Create a product concept' },
  'POST /v1/concepts/:id/open-trial': { zh: '开放试用', en: 'Open a trial' },
  'POST /v1/concepts/:id/reject': { zh: '驳回新品概念', en: 'Reject a concept' },
  'POST /v1/concepts/:id/picks': { zh: '选定试用店主', en: 'Pick trial shop owners' },
  'POST /v1/concepts/:id/launch': { zh: '上线为活动', en: 'Launch as a campaign' },
  'POST /v1/jobs/:id/retry': { zh: '重试任务', en: 'Retry a job' },
  'POST /v1/jobs/:id/cancel': { zh: '取消任务', en: 'Cancel a job' },
};

/** The action's words in the language, or its method and route as recorded. */
export function actionLabel(method: string, route: string, language: 'zh' | 'en'): string {
  return ACTIONS[`${method} ${route}`]?.[language] ?? `${method} ${route}`;
}
