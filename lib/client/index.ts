// The typed client of the Stagecoach API, shared by the command line and the web console. It runs
// in Node 20 and in browsers: fetch for HTTP, an injectable socket for the live API.
export * from './http.js';
export * from './job-follow.js';
export * from './jobs.js';
export * from './live.js';
export * from './oma.js';
export * from './oma-live.js';
export * from './params.js';
export * from './suggest.js';
