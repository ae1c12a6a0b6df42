import { z } from 'zod';
import { toCsv } from '../platform/csv';
import { pageQuery, searchText } from '../platform/http/paginate';
import type { AuditEntryRow } from './audit.entity';

export const AuditLogQuery = pageQuery.extend({
  actor: searchText(254).optional().meta({ description: "An operator's user id or email (exactly), or part of their name" }),
  action: searchText(220)
    .optional()
    .meta({ description: 'A method and route template ("POST /v1/campaigns/:id/publish"), or a route template alone (any method)' }),
  subjectId: searchText(200)
    .optional()
    .meta({ description: 'Any path parameter of the action (the factory, or its key, user or delivery), or the id of the record it created' }),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Entries at or after this instant' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Entries before this instant' }),
  format: z.enum(['json', 'csv']).optional().meta({ description: `csv: every entry the filters select, newest first (at most 10,000), as CSV` }),
});

export const AuditEntryDocument = z
  .object({
    id: z.uuid(),
    actor: z
      .object({ userId: z.uuid(), name: z.string(), email: z.string().nullable() })
      .meta({ description: 'The operator, as they were named when they acted' }),
    at: z.iso.datetime().meta({ description: 'When the action was asked for (the entry was written before it ran)' }),
    method: z.string().meta({ examples: ['POST'] }),
    route: z.string().meta({ description: 'The route template', examples: ['/v1/campaigns/:id/publish'] }),
    subjectId: z.string().nullable().meta({ description: 'The first path parameter, or the id of the record the action created' }),
    params: z
      .record(z.string(), z.string())
      .nullable()
      .meta({
        description:
          'Every path parameter of the route by its name (which key, user or delivery of the subject the action was on); a parameter named like a secret is "[redacted]". Null for a route without parameters (and for entries written before they were kept)',
        examples: [{ id: '6f1c2a9e-0b7d-4c55-9d0e-2f3a4b5c6d7e', keyId: '0b9d8c7e-1a2b-4c3d-8e9f-a0b1c2d3e4f5' }],
      }),
    reason: z.string().nullable().meta({ description: "The body's `reason`: why the operator did it" }),
    summary: z
      .string()
      .nullable()
      .meta({ description: 'The body as JSON, passwords, tokens, secrets and keys replaced by "[redacted]", cut at 2,000 characters' }),
    status: z.enum(['started', 'succeeded', 'refused', 'failed']).meta({
      description: 'started: written, outcome not (yet) recorded; succeeded: answered 2xx; refused: 4xx (nothing was done); failed: 5xx',
    }),
    httpStatus: z.int().nullable(),
    completedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'AuditEntry', description: 'One state-changing request by an operator: who, when, what, why, and its outcome' });

export function toAuditEntryDto(row: AuditEntryRow): z.input<typeof AuditEntryDocument> {
  return {
    id: row.id,
    actor: { userId: row.actorUserId, name: row.actorName, email: row.actorEmail },
    at: row.at.toISOString(),
    method: row.method,
    route: row.route,
    subjectId: row.subjectId,
    params: row.params === null ? null : (JSON.parse(row.params) as Record<string, string>),
    reason: row.reason,
    summary: row.summary,
    status: row.status,
    httpStatus: row.httpStatus,
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}

export function auditLogCsv(entries: readonly z.input<typeof AuditEntryDocument>[]): string {
  return toCsv(
    [
      '时间 At',
      '操作人 Operator',
      '邮箱 Email',
      '方法 Method',
      '接口 Route',
      '对象 Subject',
      '路径参数 Params',
      '原因 Reason',
      '结果 Outcome',
      'HTTP 状态 Status',
      '内容 Summary',
      '编号 Id',
    ],
    entries.map((e) => [
      e.at,
      e.actor.name,
      e.actor.email,
      e.method,
      e.route,
      e.subjectId,
      e.params === null ? null : JSON.stringify(e.params),
      e.reason,
      e.status,
      e.httpStatus,
      e.summary,
      e.id,
    ]),
  );
}
