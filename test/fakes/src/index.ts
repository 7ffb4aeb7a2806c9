export {
  type FakeSalesforce,
  type FakeSalesforceControl,
  type FakeSalesforceJwtOptions,
  type FakeSalesforceOptions,
  type SalesforceRecord,
  type SalesforceRecordError,
  type SalesforceRecords,
  type SObjectSchema,
  defaultSObjects,
  startFakeSalesforce,
} from './salesforce.fake';
export {
  type FakeHubSpot,
  type FakeHubSpotControl,
  type FakeHubSpotOptions,
  type HubSpotContact,
  type HubSpotContacts,
  type HubSpotInputError,
  defaultContactProperties,
  startFakeHubSpot,
} from './hubspot.fake';
export {
  type FakeFirmographics,
  type FakeFirmographicsControl,
  type FakeFirmographicsOptions,
  type FirmographicsCompany,
  defaultCompanies,
  startFakeFirmographics,
} from './firmographics.fake';
export {
  type ListenOptions,
  type OutageMode,
  type RequestLogEntry,
  type Violation,
  seededRandom,
} from './fake-server';
export {
  type AdPlatformFake,
  type AdPlatformFakeControl,
  type FakeLinkedIn,
  type FakeLinkedInOptions,
  type FakeMetaGraph,
  type FakeMetaGraphOptions,
  startFakeLinkedIn,
  startFakeMetaGraph,
} from './ad-platforms.fake';
