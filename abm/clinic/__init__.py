"""What the clinic does and sees: drug schedules, the readouts they react to, RECIST imaging.

``schedule`` (dosing blocks, triggers), ``readouts`` (what a model reports each day, liquid
biopsy), ``recist`` (tumour size on imaging, RECIST response and progression).
"""
