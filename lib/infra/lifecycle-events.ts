import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface LifecycleEventsProps {
  /** The `source` every Stagecoach event carries (STAGECOACH_EVENT_SOURCE). @default 'stagecoach' */
  readonly eventSource?: string;
  /** How long the archive keeps events for replay; `Duration.days(0)` keeps them forever. @default 365 days */
  readonly archiveRetention?: Duration;
  /** @default `<stack name>-lifecycle` */
  readonly archiveName?: string;
}

/**
 * The EventBridge bus lifecycle events are published to, with an archive of the durable ones
 * (everything but the live-only `stage.progress`) so they can be replayed to a new subscriber.
 */
export class LifecycleEvents extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  readonly eventSource: string;
  /** Matches every Stagecoach event on the bus. */
  readonly allEvents: events.EventPattern;

  constructor(scope: Construct, id: string, props: LifecycleEventsProps = {}) {
    super(scope, id);
    this.eventSource = props.eventSource ?? 'stagecoach';
    this.allEvents = { source: [this.eventSource] };
    this.bus = new events.EventBus(this, 'Bus', {
      description: 'Stagecoach lifecycle and progress events',
    });
    this.archive = this.bus.archive('Archive', {
      // A name CloudFormation would generate can exceed the archive name limit (48 characters).
      archiveName: props.archiveName ?? `${Stack.of(this).stackName}-lifecycle`.slice(0, 48),
      description: 'Durable Stagecoach lifecycle events, for replay',
      eventPattern: { source: [this.eventSource], detailType: events.Match.anythingBut('stage.progress') },
      retention: props.archiveRetention ?? Duration.days(365),
    });
  }

  /** Routes every Stagecoach event to `target`. */
  subscribe(id: string, target: events.IRuleTarget): events.Rule {
    return new events.Rule(this, id, { eventBus: this.bus, eventPattern: this.allEvents, targets: [target] });
  }

  grantPublish(grantee: iam.IGrantable): void {
    this.bus.grantPutEventsTo(grantee);
  }
}
