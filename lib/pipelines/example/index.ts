import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/ports/index.js';
import { definePipeline, defineStage } from '../../core/sdk/index.js';

/**
 * A small three-stage pipeline that shows the whole stage API: typed inputs (a zod schema and a
 * look-up), exact outputs, storage for payloads (the contract carries keys), progress, and
 * cooperative cancellation. `ingest` stores a document, `count` tallies its words, `report` keeps
 * the top words.
 */

export const ingest = defineStage({
  name: 'ingest',
  description: 'Stores the submitted text and passes its key on.',
  inputs: { text: z.string().min(1).max(16_000), document_id: z.string().min(1).max(64) },
  outputs: ['document_key'],
  async process({ text, document_id }, ctx) {
    // Storage is the tenant's own: the key is relative to its prefix.
    const key = `documents/${document_id}.txt`;
    await ctx.storage.put(key, text, { contentType: 'text/plain' });
    return { document_key: key };
  },
});

export const count = defineStage({
  name: 'count',
  description: 'Counts the words of the stored document, reporting progress.',
  inputs: {
    document_key: async (value: unknown, ctx) => {
      const key = z.string().min(1).parse(value);
      if ((await ctx.storage.head(key)) === undefined)
        throw new NotFoundError(`Document '${key}' is not in storage.`);
      return key;
    },
  },
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
  inputs: { counts_key: z.string().min(1), top: z.int().min(1).max(50).default(5) },
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
