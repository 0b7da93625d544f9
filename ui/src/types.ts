// The shapes that cross IPC. They are generated from the Rust types into ./bindings by ts-rs
// (`make bindings`; a test fails when they are out of date), never typed by hand; this file only gives
// them the names the UI uses.
export type { StoredEvent } from './bindings/StoredEvent';
export type { EventKind } from './bindings/EventKind';
export type { EventFilter } from './bindings/EventFilter';
export type { PageView as Page } from './bindings/PageView';
export type { StatusView as Status } from './bindings/StatusView';
export type { AlertSettings } from './bindings/AlertSettings';
export type { Settings } from './bindings/Settings';
export type { SettingsView } from './bindings/SettingsView';
export type { FeedMessage } from './bindings/FeedMessage';
export type { CommandError as HostError } from './bindings/CommandError';
export type { SetupOutcome } from './bindings/SetupOutcome';
export type { OnlineStatus } from './bindings/OnlineStatus';
export type { TunnelStatus } from './bindings/TunnelStatus';
export type { KisiStatus } from './bindings/KisiStatus';
export type { Health } from './bindings/Health';
export type { Insights } from './bindings/Insights';
export type { Rule } from './bindings/Rule';
export type { RulesView } from './bindings/RulesView';
export type { Incident } from './bindings/Incident';
export type { IncidentsView } from './bindings/IncidentsView';
export type { Day } from './bindings/Day';
export type { NightView } from './bindings/NightView';
export type { UnlockOffer } from './bindings/UnlockOffer';
export type { DoorActDone } from './bindings/DoorActDone';
export type { WhoIsInView } from './bindings/WhoIsInView';
export type { KisiCheck } from './bindings/KisiCheck';
export type { DoorsView } from './bindings/DoorsView';
export type { DoorRow } from './bindings/DoorRow';
