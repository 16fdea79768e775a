export * from './version';
export * from './codes';
export * from './topics';
export * from './telemetry';
export * from './messages';
export * from './alarms';
