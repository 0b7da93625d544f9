// Read by svelte-check (the UI's type check in `make test`) and by Vite's Svelte plugin. Svelte 5 reads
// TypeScript in components itself, so nothing needs preprocessing.
export default {};
