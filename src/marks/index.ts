export { MarkerRow, MarkRow, MarkSubjectRow } from './mark.entity';
export { Marks, type MarkerActivity, type MarkSources } from './marks';
export { wilsonLowerBound } from './wilson';
export { markRoutes } from './mark.routes';
