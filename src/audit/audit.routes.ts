import { page, pageOf } from '../platform/http/paginate';
import { Download, route, type RouteDef } from '../platform/http/routes';
import { CSV_LIMIT, type AuditFilter, type AuditLog } from './audit-log';
import { AuditEntryDocument, AuditLogQuery, auditLogCsv, toAuditEntryDto } from './audit.schemas';

const CSV = 'text/csv; charset=utf-8';

export function auditRoutes(log: AuditLog): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/audit-log',
      summary: "Operators' state-changing actions, newest first: who, when, what, why and the outcome; filtered by actor, action, subject and time (operator)",
      access: ['operator'],
      query: AuditLogQuery,
      response: pageOf(AuditEntryDocument),
      doc: {
        description:
          'Every POST, PUT, PATCH and DELETE by an operator is written here before it runs and completed with its outcome (docs/operator-console.md § 审计日志); refused requests too. With format=csv (or Accept: text/csv) every selected entry, at most 10,000.',
        answer: 'A page of entries, or the entries as CSV',
        files: { 'text/csv': 'The selected entries as CSV (UTF-8 with a BOM), newest first' },
      },
      handle: async ({ query, req }) => {
        const filter: AuditFilter = {
          actor: query.actor,
          action: query.action,
          subjectId: query.subjectId,
          from: query.from === undefined ? undefined : new Date(query.from),
          to: query.to === undefined ? undefined : new Date(query.to),
        };
        const csv = query.format === 'csv' || (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
        if (csv) {
          const { items } = await log.list(filter, { limit: CSV_LIMIT, offset: 0 });
          return new Download(CSV, 'audit-log.csv', auditLogCsv(items.map(toAuditEntryDto)));
        }
        const { items, total } = await log.list(filter, query);
        return page(items.map(toAuditEntryDto), total, query);
      },
    }),
  ];
}
