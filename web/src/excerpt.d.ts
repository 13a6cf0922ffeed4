/** The bundled text (first 50,000 characters of Moby Dick), inlined at build time by vite.config.ts. */
declare module 'virtual:excerpt' {
  const text: string;
  export default text;
}
