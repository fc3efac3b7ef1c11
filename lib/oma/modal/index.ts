export { type Json, resultToJson, toJsonValue } from './json.js';
export { mac, macMatrix, type ShapeVector } from './mac.js';
export {
  meanPhaseDeviation,
  modalPhaseCollinearity,
  normaliseInPlace,
  realShape,
  type ShapeNormalisation,
} from './modal.js';
export type {
  Mode,
  OmaMethod,
  OmaResult,
  SingularValueSpectrum,
  StabilizationDiagram,
  StabilizationPole,
} from './types.js';
