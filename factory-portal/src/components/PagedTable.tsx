import type { UseQueryResult } from '@tanstack/react-query';
import { Fragment, type ReactNode } from 'react';
import type { Page } from '../api/types';
import { Pager } from './Pager';
import { Empty, QueryView } from './StateViews';

/**
 * A page of a list as a table: its loading and error states, the words when it is empty, the table scrolling in
 * its own box (named by the section heading `labelledBy`), and the pager. `head` is the header row's cells, `row`
 * one item's <tr>; `keyOf` names an item that has no `id` of its own.
 */
export function PagedTable<T>({
  query,
  empty,
  labelledBy,
  testId,
  head,
  row,
  onOffset,
  keyOf = (item) => (item as { id: string }).id,
}: {
  keyOf?: (item: T) => string;
  query: UseQueryResult<Page<T>>;
  empty: string;
  labelledBy: string;
  testId: string;
  head: ReactNode;
  row: (item: T) => ReactNode;
  onOffset: (offset: number) => void;
}) {
  return (
    <QueryView query={query}>
      {(page) =>
        page.items.length === 0 ? (
          <Empty>{empty}</Empty>
        ) : (
          <>
            <div className="table-scroll" tabIndex={0} role="region" aria-labelledby={labelledBy}>
              <table data-testid={testId}>
                <thead>
                  <tr>{head}</tr>
                </thead>
                <tbody>
                  {page.items.map((item) => (
                    <Fragment key={keyOf(item)}>{row(item)}</Fragment>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={page} onOffset={onOffset} />
          </>
        )
      }
    </QueryView>
  );
}
