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
