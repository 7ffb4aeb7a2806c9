/** One reading of a process's memory, in MB (memory.preload.ts writes it at the highest RSS). */
export interface MemorySample {
  uptimeSeconds: number;
  rssMb: number;
  /** RSS backed by files: the Node binary's and the modules' pages */
  fileMb: number;
  /** V8's heap, committed */
  heapTotalMb: number;
  /** of it, in objects not yet collected (live, or garbage awaiting a collection) */
  heapUsedMb: number;
  /** memory V8 knows of outside its heap: ArrayBuffers' backing stores, external strings */
  externalMb: number;
  /** of `externalMb`, Buffers' and ArrayBuffers' */
  arrayBuffersMb: number;
}

/** What the RSS at the sample was made of, MB: the parts add up to `rssMb`. */
export interface MemoryComposition {
  rssMb: number;
  fileMb: number;
  heapMb: number;
  externalMb: number;
  /** the rest: malloc'ed memory V8 does not count (freed but kept, native libraries), stacks */
  otherMb: number;
}

export function composition(s: MemorySample): MemoryComposition {
  return {
    rssMb: s.rssMb,
    fileMb: s.fileMb,
    heapMb: s.heapTotalMb,
    externalMb: s.externalMb,
    otherMb: s.rssMb - s.fileMb - s.heapTotalMb - s.externalMb,
  };
}
