// The io layer's public names (bytes <-> state dicts), browser-safe: nothing here touches the file
// system. Node programs read and write files with src/io/node.ts (readBytes, writeBytesAtomic).

export { dtypeSize, isTorchDType, TORCH_DTYPES, type TorchDType } from "./dtype.js";
export { FormatError, type FormatName } from "./errors.js";
export type { LoadOptions } from "./limits.js";
export {
  type BuildRecurrentOptions,
  buildRecurrent,
  type LoadedRecurrent,
  loadModelFile,
  type ModelFile,
  type ModelFormat,
  modelFormatOf,
  type Recurrent,
  RNN_NONLINEARITY_NOTE,
  recurrentRecord,
  shapesOf,
} from "./model.js";
export { loadNpy, saveNpy } from "./npy.js";
export { loadNpz, saveNpz } from "./npz.js";
export { loadSafetensors, type SafetensorsFile, saveSafetensors } from "./safetensors.js";
export {
  fromTensor,
  isStoredTensor,
  type StoredTensor,
  type TensorDict,
  type TensorLike,
  toTensor,
  toTensors,
} from "./stored.js";
export { loadTorch, type TorchLoadOptions } from "./torch/load.js";
export {
  findModels,
  flattenModules,
  isModuleObject,
  type ModuleRecord,
  moduleStateDict,
  moduleTree,
  RecordedModule,
  type RecurrentModule,
  recurrentModules,
  recurrentOptions,
  type TorchModuleKind,
  toModule,
} from "./torch/modules.js";
export { type PickleValue, TorchObject } from "./torch/pickle.js";
export { type SaveTorchOptions, saveTorch } from "./torch/save.js";
export { consumePrefix, type PickStateDictOptions, pickStateDict } from "./torch/state_dict.js";
