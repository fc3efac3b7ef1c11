import { z } from 'zod';
import { ValidationError } from '../../core/ports/index.js';
import { blobRef, definePipeline, defineStage } from '../../core/sdk/index.js';

/**
 * A small three-stage pipeline that shows the whole stage API: typed inputs (zod schemas, and
 * typed storage references that must exist in the job's tenant's storage), exact outputs, storage
 * for payloads (the contract carries keys), progress, and cooperative cancellation. `ingest` stores
 * a document, `count` tallies its words, `report` keeps the top words.
 */

/** Where this pipeline keeps its documents in the tenant's storage. */
const DOCUMENTS = 'documents/';

export const ingest = defineStage({
  name: 'ingest',
  description: 'Stores the submitted text and passes its key on.',
  inputs: {
    text: z.string().min(1).max(16_000),
    // One name of the key the document is stored under.
    document_id: z
      .string()
      .min(1)
      .max(64)
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
        "use letters, digits, '.', '_' or '-', starting with a letter or digit",
      ),
  },
  outputs: ['document_key'],
  async process({ text, document_id }, ctx) {
    // Storage is the tenant's own: the key is relative to its prefix.
    const key = `${DOCUMENTS}${document_id}.txt`;
    await ctx.storage.put(key, text, { contentType: 'text/plain' });
    return { document_key: key };
  },
});

export const count = defineStage({
  name: 'count',
  description: 'Counts the words of the stored document, reporting progress.',
  inputs: { document_key: blobRef({ noun: 'Document', under: DOCUMENTS }) },
  outputs: ['counts_key', 'word_count'],
  async process({ document_key }, ctx) {
    const text = Buffer.from(await ctx.storage.get(document_key)).toString('utf8');
    const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
    if (words.length === 0) throw new ValidationError(`Document '${document_key}' has no words.`);
    const counts = new Map<string, number>();
    for (const [i, word] of words.entries()) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
      if (i % 500 === 0) {
        ctx.signal.throwIfAborted();
        ctx.progress((100 * i) / words.length, `${i} of ${words.length} words`);
      }
    }
    const key = document_key.replace(/\.txt$/, '.counts.json');
    await ctx.storage.put(key, JSON.stringify(Object.fromEntries(counts)), {
      contentType: 'application/json',
    });
    return { counts_key: key, word_count: words.length };
  },
});

export const report = defineStage({
  name: 'report',
  description: 'Keeps the most frequent words.',
  inputs: {
    counts_key: blobRef({ noun: 'Word counts', under: DOCUMENTS }),
    top: z.int().min(1).max(50).default(5),
  },
  outputs: ['top_words'],
  async process({ counts_key, top }, ctx) {
    const counts: Record<string, number> = JSON.parse(
      Buffer.from(await ctx.storage.get(counts_key)).toString('utf8'),
    );
    const top_words = Object.entries(counts)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .slice(0, top)
      .map(([word, n]) => ({ word, n }));
    return { top_words };
  },
});

export const examplePipeline = definePipeline({
  name: 'wordcount',
  description: 'ingest → count → report',
  stages: [ingest, count, report],
});
