import { page, pageQuery } from '../platform/http/paginate';
import { route, type RouteDef } from '../platform/http/routes';
import type { NotificationService } from './notification.service';

export { NotificationService } from './notification.service';
export { NotificationRow, type NotificationKind } from './notification.entity';

export function notificationRoutes(notifications: NotificationService): RouteDef[] {
  return [
    route({
      method: 'get', path: '/v1/me/notifications', summary: "The caller's notifications, newest first", access: ['consumer'], query: pageQuery,
      handle: async ({ principal, query }) => {
        const { items, total } = await notifications.listFor(principal.userId, query);
        return page(items.map((n) => ({ id: n.id, kind: n.kind, campaignId: n.campaignId, pledgeId: n.pledgeId, message: n.message, data: n.data, createdAt: n.createdAt.toISOString() })), total, query);
      },
    }),
  ];
}
