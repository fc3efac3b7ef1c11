export {
  type ClusteredModes,
  type ClusteringOptions,
  clusterPoles,
  clusterPolesAsync,
} from './clustering.js';
export { DEFAULT_DAMPING_MAX, DEFAULT_ORDER_MIN, DEFAULT_ORDER_STEP } from './defaults.js';
export { type SsiIdentification, type SsiOptions, type SsiPole, ssiCov } from './ssi.js';
export {
  type DiagramPole,
  type HardCriteria,
  type StabilityCriteria,
  stabilizationDiagram,
} from './stabilization.js';
export { blockToeplitz } from './toeplitz.js';
