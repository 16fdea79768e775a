import { Injectable } from '@nestjs/common';

/** The api's connection to the MQTT broker, as reported by the microservice transport. */
@Injectable()
export class BrokerStatus {
  state: string = 'disconnected';
  since = new Date();

  set(state: string): void {
    if (state === this.state) return;
    this.state = state;
    this.since = new Date();
  }

  get connected(): boolean {
    return this.state === 'connected';
  }
}
