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
