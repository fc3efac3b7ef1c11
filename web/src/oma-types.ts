import type { OmaClient } from '../../lib/client/oma.js';

/** The analysis record as the typed client returns it (the console reads types through lib/client). */
export type AnalysisRecord = Awaited<ReturnType<OmaClient['getAnalysis']>>;
