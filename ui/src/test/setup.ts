// What jsdom lacks and the window uses: observers (no layout here, so they never fire) and CSS.escape.
class Inert {
  observe() {}
  unobserve() {}
  disconnect() {}
}
const g = globalThis as Record<string, unknown>;
g.IntersectionObserver ??= Inert;
g.ResizeObserver ??= Inert;
(globalThis as { CSS?: { escape?: (s: string) => string } }).CSS ??= {};
(globalThis as { CSS: { escape?: (s: string) => string } }).CSS.escape ??= (s: string) => s.replace(/["\\]/g, '\\$&');
