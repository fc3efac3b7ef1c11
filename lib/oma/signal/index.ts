export { type CorrelationOptions, type OutputCorrelations, outputCorrelations } from './correlation.js';
export { type DecimationOptions, decimate } from './decimate.js';
export { DECIMATION_FILTER, DEFAULT_OVERLAP, defaultNperseg } from './defaults.js';
export { type DetrendMode, detrendInPlace } from './detrend.js';
export { BluesteinFft, ComplexFft, RealFft } from './fft.js';
export {
  butterworth,
  chebyshev1,
  type FilterSpec,
  type FilterType,
  magnitudeResponse,
  type Section,
} from './iir-design.js';
export { sosFiltFilt } from './sos-filter.js';
export { type CrossSpectralDensity, type WelchOptions, welchCsd } from './welch.js';
