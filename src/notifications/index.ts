import { languageQuery, requestLanguage } from '../platform/http/language';
import { page, pageQuery } from '../platform/http/paginate';
import { route, type RouteDef } from '../platform/http/routes';
import type { NotificationService } from './notification.service';
import { renderNotification } from './templates';

export { NotificationService } from './notification.service';
export { NotificationRow, type NotificationKind } from './notification.entity';
export { type NotificationInput } from './notification.service';
export { renderNotification, type NotificationData } from './templates';

/** `?lang=` beside the page: an explicit language beats Accept-Language. */
const NotificationQuery = pageQuery.extend({ lang: languageQuery.optional() });

export function notificationRoutes(notifications: NotificationService): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/me/notifications',
      summary:
        "The caller's notifications (a consumer's, or a factory portal user's), newest first, each message in the request's language (?lang= or Accept-Language; Chinese by default)",
      access: ['consumer', 'factory'],
      query: NotificationQuery,
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
            data: n.data,
            createdAt: n.createdAt.toISOString(),
          })),
          total,
          query,
        );
      },
    }),
  ];
}
