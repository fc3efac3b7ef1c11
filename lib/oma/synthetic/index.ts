export { applySensorFaults, type SensorFault } from './faults.js';
export { type ForceSpectrum, type ForcingOptions, type HarmonicForce, ModalForcing } from './forcing.js';
export {
  modalModelFromMatrices,
  modalModelFromModes,
  observedModes,
  randomOrthonormalShapes,
  type SimulatedRecord,
  type SimulationOptions,
  shearFrame,
  simulateResponse,
  trueModes,
} from './synthetic.js';
export { type Tower, type TowerOptions, towerModel } from './tower.js';
export type { ModalModel, TrueMode } from './types.js';
