// AutobahnJS ships no type declarations; the interop tests use it untyped.
declare module 'autobahn';
