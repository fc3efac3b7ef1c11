/**
 * The OMA engine: operational modal analysis of multichannel records (docs/oma.md). It imports
 * nothing outside lib/oma but Node's built-ins, so it runs without the job framework.
 *
 * Folders by discipline; dependencies run one way, down this table (test/oma/layout.test.ts
 * checks it, and that no import circle exists):
 *
 * | folder        | holds                                                                  | may import                                      |
 * | ------------- | ---------------------------------------------------------------------- | ----------------------------------------------- |
 * | `run/`        | analyzeRecord, analyzeSetups, preprocessRecord, defaults from the data | io, fdd, ssi, multisetup, modal, signal, linalg |
 * | `multisetup/` | multi-setup: shared references, PoSER merging, PreGER for SSI          | ssi, modal, signal, linalg                      |
 * | `fdd/`        | FDD spectrum, peak picking, SDOF bell, EFDD, lowest peak, uncertainty  | modal, signal, linalg                           |
 * | `ssi/`        | SSI-cov, block Toeplitz, stabilization, clustering, uncertainty        | modal, signal, linalg                           |
 * | `synthetic/`  | simulated structures and their responses                               | linalg                                          |
 * | `modal/`      | modes and results (types, JSON), MAC, MPC/MPD, real shapes             | linalg                                          |
 * | `io/`         | CSV reader and writer, binary dataset                                  | —                                               |
 * | `signal/`     | FFT, Welch, correlations, IIR design, filtering, (re)sampling          | linalg                                          |
 * | `linalg/`     | eigen-solvers, SVDs, LU, Gram–Schmidt, expm, complex, PRNG             | —                                               |
 *
 * Root files: errors.ts (OmaError and its codes) and control.ts (cancellation, progress).
 *
 * Every folder may also import the root's errors.ts and control.ts. fdd/ and ssi/ do not import
 * each other; nothing but this file imports run/. Each folder's index.ts only re-exports.
 */
export { Checkpoint, type ProgressCallback, type RunControl, throwIfAborted } from './control.js';
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
export {
  type BellOptions,
  type EfddOptions,
  efdd,
  type FddOptions,
  type FddSpectrum,
  fdd,
  fddModes,
  fddSpectrum,
  type PeakOptions,
  pickPeaks,
  type SdofBell,
  type SpectralPeak,
  sdofBell,
} from './fdd/index.js';
export {
  type Channel,
  type CsvLayout,
  type CsvMeasurement,
  CsvReader,
  type CsvReadOptions,
  type CsvWriteOptions,
  DATASET_MAGIC,
  DATASET_VERSION,
  type Dataset,
  type DatasetHeader,
  type Delimiter,
  type Dtype,
  datasetChunks,
  deserializeDataset,
  type ProvenanceStep,
  readCsv,
  serializeDataset,
  writeCsv,
} from './io/index.js';
export {
  HermitianEigenSolver,
  RealEigenSolver,
  randomizedSvd,
  type TruncatedSvd,
  Xoshiro128,
} from './linalg/index.js';
export {
  type ModalUncertainty,
  type Mode,
  type MultiSetupInfo,
  mac,
  macMatrix,
  meanPhaseDeviation,
  modalPhaseCollinearity,
  normaliseInPlace,
  type OmaMethod,
  type OmaResult,
  type OrderSpread,
  realShape,
  resultToJson,
  type SetupEstimate,
  type ShapeNormalisation,
  type ShapeVector,
  type SingularValueSpectrum,
  type StabilizationDiagram,
  type StabilizationPole,
  toJsonValue,
} from './modal/index.js';
export {
  type AnalyzeOptions,
  analyzeRecord,
  analyzeSetups,
  type ButterworthFilterOptions,
  checkBand,
  DEFAULT_FILTER_ORDER,
  DEFAULT_FMAX_HZ,
  DEFAULT_ORDER_MAX,
  defaultBlockRows,
  defaultDecimation,
  defaultFmax,
  defaultOrderMax,
  MAX_TOEPLITZ_ROWS,
  type MultiSetupOptions,
  type PreprocessedRecord,
  type PreprocessOptions,
  preprocessRecord,
  type SetupRecord,
} from './run/index.js';
export {
  BluesteinFft,
  butterworth,
  ComplexFft,
  type CorrelationOptions,
  type CrossSpectralDensity,
  chebyshev1,
  DECIMATION_FILTER,
  DEFAULT_OVERLAP,
  type DecimationOptions,
  type DetrendMode,
  decimate,
  defaultNperseg,
  detrendInPlace,
  type FilterSpec,
  type FilterType,
  magnitudeResponse,
  type OutputCorrelations,
  outputCorrelations,
  RealFft,
  type Section,
  sosFiltFilt,
  type WelchOptions,
  welchCsd,
} from './signal/index.js';
export {
  blockToeplitz,
  type ClusteredModes,
  type ClusteringOptions,
  clusterPoles,
  DEFAULT_DAMPING_MAX,
  DEFAULT_ORDER_MIN,
  DEFAULT_ORDER_STEP,
  type HardCriteria,
  type SsiIdentification,
  type SsiOptions,
  type SsiPole,
  type StabilityCriteria,
  ssiCov,
  stabilizationDiagram,
} from './ssi/index.js';
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
} from './synthetic/index.js';
