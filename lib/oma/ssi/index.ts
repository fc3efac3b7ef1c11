export {
  type ClusteredModes,
  type ClusteringOptions,
  clusterPoles,
  clusterPolesAsync,
} from './clustering.js';
export { type SsiIdentification, type SsiOptions, type SsiPole, ssiCov } from './ssi.js';
export {
  type DiagramPole,
  type HardCriteria,
  type StabilityCriteria,
  stabilizationDiagram,
} from './stabilization.js';
export { blockToeplitz } from './toeplitz.js';
