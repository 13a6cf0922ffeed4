/** The bundled text (first 50,000 characters of Moby Dick), inlined at build time by vite.config.ts. */
declare module 'virtual:excerpt' {
  const text: string;
  export default text;
}

/** A slice of the CMU Pronouncing Dictionary (`{ WORD: "PH1 PH2 …" }`), inlined at build time by vite.config.ts. */
declare module 'virtual:cmudict-slice' {
  const dict: Readonly<Record<string, string>>;
  export default dict;
}
