/**
 * Types for the deep `natural` modules this project imports. Importing the package root pulls in
 * database clients and reads a `.env` file, so src/nlu imports single CommonJS files instead.
 */
declare module 'natural/lib/natural/stemmers/porter_stemmer.js' {
  interface PorterStemmer {
    stem(token: string): string;
  }
  const stemmer: PorterStemmer;
  export default stemmer;
}
