import { buildProgram } from '../lib/cli/program.js';

await buildProgram().parseAsync(process.argv);
