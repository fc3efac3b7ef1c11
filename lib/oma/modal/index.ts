export { type Json, resultToJson, toJsonValue } from './json.js';
export { mac, macArrays, macMatrix, type ShapeVector } from './mac.js';
export {
  meanPhaseDeviation,
  modalPhaseCollinearity,
  normaliseInPlace,
  realShape,
  type ShapeNormalisation,
} from './modal.js';
export type {
  ModalUncertainty,
  Mode,
  MultiSetupInfo,
  OmaMethod,
  OmaResult,
  OrderSpread,
  SetupEstimate,
  SingularValueSpectrum,
  StabilizationDiagram,
  StabilizationPole,
} from './types.js';
