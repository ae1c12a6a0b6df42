export { ConceptRow, RatingRow, TrialApplicationRow } from './concept.entity';
export { Concepts, type ShopDirectory } from './concepts';
export { conceptRoutes } from './concept.routes';
