export {
  type BellOptions,
  DEFAULT_BELL_HALF_WIDTH,
  DEFAULT_BELL_MAC_THRESHOLD,
  halfPowerBandwidth,
  type SdofBell,
  sdofBell,
} from './bell.js';
export { removeLines } from './clean.js';
export { type EfddOptions, efdd } from './efdd.js';
export { type FddOptions, fdd, fddModes } from './fdd.js';
export { type AutoSpectra, autoSpectra, lowestPeak, lowestSpectralPeak } from './lowest-peak.js';
export { type PeakOptions, pickPeaks } from './peaks.js';
export { decomposeSpectrum, fddSpectrum, LineDecomposer, shapeAt } from './spectrum.js';
export type { FddSpectrum, SpectralPeak } from './types.js';
