const suffixes: Record<string, number> = {
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// Kubernetes' quantity syntax, e.g. "500m", "1.5", "256Mi", "1e3".
const quantity =
  /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$/;

/** A Kubernetes quantity's value in base units (cores, bytes), or undefined if it is not one. */
export function parseQuantity(text: string): number | undefined {
  const m = quantity.exec(text);
  if (m === null) return undefined;
  const [, number = "", suffix = ""] = m;
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : suffixes[suffix];
  return scale === undefined ? undefined : Number(number) * scale;
}
