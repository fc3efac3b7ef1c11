export { type AnalyzeOptions, analyzeRecord } from './analyze.js';
export { type ClusteredModes, type ClusteringOptions, clusterPoles } from './clustering.js';
export { Checkpoint, type ProgressCallback, type RunControl, throwIfAborted } from './control.js';
export { type CorrelationOptions, type OutputCorrelations, outputCorrelations } from './correlation.js';
export { type Channel, type CsvMeasurement, CsvReader, type CsvReadOptions, readCsv } from './csv.js';
export type { CsvLayout, Delimiter } from './csv-detect.js';
export { type CsvWriteOptions, writeCsv } from './csv-writer.js';
export {
  DATASET_MAGIC,
  DATASET_VERSION,
  type Dataset,
  type DatasetHeader,
  type Dtype,
  datasetChunks,
  deserializeDataset,
  type ProvenanceStep,
  serializeDataset,
} from './dataset.js';
export { type DecimationOptions, decimate } from './decimate.js';
export {
  checkBand,
  DEFAULT_FMAX_HZ,
  DEFAULT_ORDER_MAX,
  defaultBlockRows,
  defaultDecimation,
  defaultFmax,
  defaultNperseg,
  defaultOrderMax,
  MAX_TOEPLITZ_ROWS,
} from './defaults.js';
export { type DetrendMode, detrendInPlace } from './detrend.js';
export { type EfddOptions, efdd } from './efdd.js';
export {
  ConvergenceError,
  CsvFormatError,
  DatasetFormatError,
  InsufficientDataError,
  InvalidOptionError,
  NonFiniteSampleError,
  OmaCancelledError,
  OmaError,
  type OmaErrorCode,
  type OmaErrorContext,
  type OmaErrorOptions,
} from './errors.js';
export { type FddOptions, type FddSpectrum, fdd, fddModes, fddSpectrum, sdofBell } from './fdd.js';
export { BluesteinFft, ComplexFft, RealFft } from './fft.js';
export { HermitianEigenSolver } from './hermitian-eig.js';
export {
  butterworth,
  chebyshev1,
  type FilterSpec,
  type FilterType,
  magnitudeResponse,
  type Section,
} from './iir-design.js';
export { mac, macMatrix, type ShapeVector } from './mac.js';
export {
  meanPhaseDeviation,
  modalPhaseCollinearity,
  normaliseInPlace,
  realShape,
  type ShapeNormalisation,
} from './modal.js';
export { type PeakOptions, pickPeaks, type SpectralPeak } from './peaks.js';
export {
  type ButterworthFilterOptions,
  type PreprocessedRecord,
  type PreprocessOptions,
  preprocessRecord,
} from './preprocess.js';
export { Xoshiro128 } from './random.js';
export { randomizedSvd, type TruncatedSvd } from './randomized-svd.js';
export { RealEigenSolver } from './real-eig.js';
export type {
  Mode,
  OmaMethod,
  OmaResult,
  SingularValueSpectrum,
  StabilizationDiagram,
  StabilizationPole,
} from './results.js';
export { resultToJson, toJsonValue } from './results.js';
export { sosFiltFilt } from './sos-filter.js';
export { type SsiIdentification, type SsiOptions, type SsiPole, ssiCov } from './ssi.js';
export { type HardCriteria, type StabilityCriteria, stabilizationDiagram } from './stabilization.js';
export {
  type ModalModel,
  modalModelFromMatrices,
  modalModelFromModes,
  randomOrthonormalShapes,
  type SimulatedRecord,
  type SimulationOptions,
  shearFrame,
  simulateResponse,
  type TrueMode,
  trueModes,
} from './synthetic.js';
export { blockToeplitz } from './toeplitz.js';
export { type CrossSpectralDensity, type WelchOptions, welchCsd } from './welch.js';
