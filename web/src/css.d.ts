// Stylesheets are imported for their side effect; esbuild bundles them into the entry's .css file.
declare module '*.css';
