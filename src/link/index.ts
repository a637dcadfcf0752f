/** Links (devices) and the wrappers that compose around them. */
export * from './link.js';
export { MemoryLink, type MemoryLinkOptions, type MemoryLinkStats } from './memory.js';
export { LoopbackLink, type LoopbackLinkOptions } from './loopback.js';
export { SimScheduler, settleMicrotasks, realTimeSchedule, type ScheduleFn, type ScheduledEvent } from './sim-scheduler.js';
export { FaultInjector, type FaultInjectorOptions, type FaultCounts } from './fault-injector.js';
export { PcapWriter, PcapError, LINKTYPE_RAW, type PcapWriterOptions, type PcapSink } from './pcap.js';
export { Tracer, type TracerOptions } from './tracer.js';
export { LinkWrapperBase } from './wrapper.js';
export { describePacket, protocolName } from './describe.js';
export * from './tun.js';
export * from './netns.js';
