export { type AnalyzeOptions, analyzeRecord } from './analyze.js';
export {
  checkBand,
  DEFAULT_FILTER_ORDER,
  DEFAULT_FMAX_HZ,
  DEFAULT_ORDER_MAX,
  defaultBlockRows,
  defaultDecimation,
  defaultFmax,
  defaultOrderMax,
  MAX_TOEPLITZ_ROWS,
} from './defaults.js';
export { analyzeSetups, type MultiSetupOptions, type SetupRecord } from './multisetup.js';
export {
  type ButterworthFilterOptions,
  type PreprocessedRecord,
  type PreprocessOptions,
  preprocessRecord,
} from './preprocess.js';
