"""Adapters between the live twin and the shop floor's systems.

- :mod:`~twin.mes.adapter`: the adapter protocol, an in-memory fake MES and the
  JSON-lines adapter;
- :mod:`~twin.mes.isa95`: plans out as ISA-95 job orders, job responses in;
- :mod:`~twin.mes.emulate`: a simulated shop (a twin run) as an MES event stream;
- :mod:`~twin.mes.opcua_server`, :mod:`~twin.mes.opcua_client`: OPC UA (the optional
  ``opcua`` extra: ``pip install shopfloor-twin[opcua]``);
  :mod:`~twin.mes.opcua_security`: its users, certificates and roles.
"""
