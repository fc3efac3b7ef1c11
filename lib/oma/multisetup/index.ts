export {
  type MultiSetupLayout,
  multiSetupLayout,
  type SetupChannels,
  type SetupLayout,
} from './layout.js';
export { mergePoser, type PoserOptions } from './poser.js';
export { type PregerOptions, pregerIdentify } from './preger.js';
