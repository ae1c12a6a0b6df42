import { languageQuery, requestLanguage } from '../platform/http/language';
import { z } from 'zod';
import { page, pageOf, pageQuery } from '../platform/http/paginate';
import { route, type RouteDef } from '../platform/http/routes';
import type { NotificationService } from './notification.service';
import { NOTIFICATION_DATA, renderNotification, type NotificationKind } from './templates';

export { NotificationService } from './notification.service';
export { NotificationRow, type NotificationKind } from './notification.entity';
export { type NotificationInput } from './notification.service';
export { renderNotification, type NotificationData } from './templates';

/** `?lang=` beside the page: an explicit language beats Accept-Language. */
const NotificationQuery = pageQuery.extend({ lang: languageQuery.optional() });

const NotificationDocument = z
  .object({
    id: z.uuid(),
    kind: z.enum(Object.keys(NOTIFICATION_DATA) as [NotificationKind, ...NotificationKind[]]),
    campaignId: z.string().nullable(),
    pledgeId: z.string().nullable(),
    message: z.string().meta({ description: "made from the kind's template and data in the reader's language" }),
    data: z.record(z.string(), z.unknown()).meta({
      description:
        'The facts the message reports, by kind (src/notifications/templates.ts): amounts as money strings ("1099.00"), instants as ISO date-times (dueAt, retryAt), days as YYYY-MM-DD China days. deposit_received {title, amount}; campaign_succeeded {title, unitPrice, balance, dueAt}; campaign_failed {title, threshold, deposit}; campaign_cancelled {title, compensation?}; variant_not_produced {title, variant: {zh, en}, deposit}; balance_reminder {title, balance, dueAt}; balance_received {title, amount, shipDate}; refund_sent {amount, reason}; deposit_forfeited {title, deposit, dueAt}; after_sale_refunded {title, amount, reason}; pledge_expired {title}; box_charged {boxId, amount, deliveryDate, shipDate}; box_charge_failed {boxId, deliveryDate, retryAt}; box_cancelled {boxId, deliveryDate, attempts}; box_compensated {boxId, deliveryDate, credit}. Rows from before templates may lack them.',
    }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Notification' });

export function notificationRoutes(notifications: NotificationService): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/me/notifications',
      summary:
        "The caller's notifications (a consumer's, a factory portal user's, or an operator's about payment reconciliation), newest first, each message in the request's language (?lang= or Accept-Language; Chinese by default)",
      access: ['consumer', 'factory', 'operator'],
      query: NotificationQuery,
      response: pageOf(NotificationDocument),
      doc: {
        description:
          "Each `message` is made from the kind's template and `data` in the request's language: `?lang=`, else the first of Chinese or English in Accept-Language, else Chinese (zh-CN). Amounts in messages are ¥ with two decimals, times in China time (北京时间 / China time). A notification stored before templates (its `data` lacking the facts) keeps the sentence stored with it.",
        answer: 'A page of notifications',
        headers: z.object({
          'Accept-Language': z
            .string()
            .optional()
            .meta({ description: 'zh-CN unless English comes first; ?lang= beats it', examples: ['en-US,en;q=0.9'] }),
        }),
        answerHeaders: { 'Content-Language': 'The language the messages are in: zh-CN or en' },
      },
      handle: async ({ principal, query, req, res }) => {
        const language = requestLanguage(req, query.lang);
        // A factory's API key is a machine with no inbox: its notices go to the factory's people.
        const { items, total } = 'userId' in principal ? await notifications.listFor(principal.userId, query) : { items: [], total: 0 };
        res.setHeader('Content-Language', language);
        res.vary('Accept-Language');
        return page(
          items.map((n) => ({
            id: n.id,
            kind: n.kind,
            campaignId: n.campaignId,
            pledgeId: n.pledgeId,
            // A row from before templates lacks the facts: it keeps the sentence stored with it.
            message: renderNotification(n.kind, n.data, language) ?? n.message,
            data: n.data as Record<string, unknown>,
            createdAt: n.createdAt.toISOString(),
          })),
          total,
          query,
        );
      },
    }),
  ];
}
