import { page, pageOf, pageQuery } from '../platform/http/paginate';
import { publicRoute, route, type RouteDef } from '../platform/http/routes';
import type { Marks } from './marks';
import {
  AnswerBody,
  BoardQuery,
  MarkBody,
  MarkSubjectParams,
  MarkTallyDocument,
  MyMarkDocument,
  MyMarksQuery,
  SubjectMarksDocument,
  toMarkTallyDto,
  toMyMarkDto,
  toSubjectMarkDto,
} from './mark.schemas';

const notShopOwner = { 403: '`not_a_shop_owner`: only approved shop owners mark' };

export function markRoutes(marks: Marks): RouteDef[] {
  return [
    route({
      method: 'put',
      path: '/v1/marks/mine',
      summary: "Mark a campaign, factory, brand or origin 红 (recommend) or 黑 (not) with a reason; replaces the caller's mark of it (shop owner)",
      access: ['consumer'],
      body: MarkBody,
      response: MyMarkDocument,
      doc: {
        description:
          'One mark per shop owner and subject: marking again replaces it. No purchase is needed. Marks of accounts younger than MARKS_MIN_ACCOUNT_AGE_DAYS or of shop owners with no activity are kept but not counted (docs/selection.md § 红黑榜).',
        answer: 'The mark in force',
        problems: { ...notShopOwner, 404: 'no published campaign, or no factory, has this id' },
      },
      handle: async ({ principal, body }) => toMyMarkDto(await marks.mark(principal, body)),
    }),
    route({
      method: 'get',
      path: '/v1/marks/mine',
      summary: "The caller's marks, newest first (shop owner)",
      access: ['consumer'],
      query: MyMarksQuery,
      response: pageOf(MyMarkDocument),
      doc: { answer: 'A page of marks', problems: notShopOwner },
      handle: async ({ principal, query }) => {
        const { items, total } = await marks.mine(principal, query);
        return page(items.map(toMyMarkDto), total, query);
      },
    }),
    route({
      method: 'delete',
      path: '/v1/marks/mine/:id',
      summary: "Withdraw the caller's mark of a subject (shop owner)",
      access: ['consumer'],
      params: MarkSubjectParams,
      status: 204,
      response: null,
      doc: { answer: 'Withdrawn', problems: { ...notShopOwner, 404: 'the caller has no mark of this subject' } },
      handle: async ({ principal, params }) => {
        await marks.withdraw(principal, params.id);
      },
    }),
    publicRoute({
      method: 'get',
      path: '/v1/marks',
      summary: '红榜 or 黑榜 of one kind of subject, ranked by the Wilson lower bound (95%) of the red or black share of counted marks',
      query: BoardQuery,
      response: pageOf(MarkTallyDocument),
      doc: {
        description: 'Subjects with at least one counted mark. Ties: more counted marks first, then by label. At most CAMPAIGN_CACHE_MS old.',
        answer: 'A page of the list',
      },
      handle: async ({ query }) => {
        const { items, total } = await marks.board(query.kind, query.board, query);
        return page(items.map(toMarkTallyDto), total, query);
      },
    }),
    publicRoute({
      method: 'get',
      path: '/v1/marks/subjects/:id',
      summary: "One marked subject: its counted red and black marks, their bounds and its factory's answer",
      params: MarkSubjectParams,
      response: MarkTallyDocument,
      doc: { answer: 'The subject' },
      handle: async ({ params }) => toMarkTallyDto(await marks.subject(params.id)),
    }),
    route({
      method: 'get',
      path: '/v1/factory/marks',
      summary: "The calling factory's marked subjects (the factory itself and its campaigns), most counted marks first (factory users and keys)",
      access: ['factory'],
      query: pageQuery,
      response: pageOf(MarkTallyDocument),
      doc: { answer: 'A page of subjects' },
      handle: async ({ principal, query }) => {
        const { items, total } = await marks.ofFactory(principal.factoryId, query);
        return page(items.map(toMarkTallyDto), total, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/factory/marks/:id',
      summary: "A subject's marks with their reasons, newest first, never who marked (the subject's factory; operators, any subject)",
      access: ['factory', 'operator'],
      params: MarkSubjectParams,
      query: pageQuery,
      response: SubjectMarksDocument,
      doc: { answer: 'The subject and a page of its marks' },
      handle: async ({ principal, params, query }) => {
        const { tally, items, total } = await marks.marksOf(principal, params.id, query);
        return { tally: toMarkTallyDto(tally), ...page(items.map(toSubjectMarkDto), total, query) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/marks/:id/answer',
      summary: "Answer a subject's marks once, publicly: the answer shows with the subject on the lists (the subject's factory)",
      access: ['factory'],
      params: MarkSubjectParams,
      body: AnswerBody,
      status: 201,
      response: MarkTallyDocument,
      doc: { answer: 'The subject with its answer', problems: { 409: '`marks_already_answered`: the subject was answered already' } },
      handle: async ({ principal, params, body }) => toMarkTallyDto(await marks.answer(principal, params.id, body.answer)),
    }),
  ];
}
