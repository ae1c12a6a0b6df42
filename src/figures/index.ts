export { BusinessFigures, type FigureSources, type Figures } from './figures';
export { figureRoutes } from './figure.routes';
