/** Built on first invocation, so importing a handler module has no side effects and reads no variable. */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
